// The shop's listeners: the widget's events bubble up to the document.
const log = document.getElementById('event-log');

function record(event) {
  const item = document.createElement('li');
  item.dataset.event = event.type;
  item.textContent = `${event.type} ${JSON.stringify(event.detail)}`;
  log.append(item);
}

document.addEventListener('lookalike:select', record);
document.addEventListener('lookalike:wishlist', record);
