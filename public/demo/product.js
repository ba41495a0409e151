// Fills the demo product page from its query (?id=…&title=…&price=…), as text only.
const query = new URLSearchParams(location.search);
const title = query.get('title');
const id = query.get('id');
const price = Number(query.get('price'));
if (title) {
  document.getElementById('title').textContent = title;
  document.title = `${title} · demo product page · Lookalike`;
}
if (id) document.getElementById('item-id').textContent = id;
if (Number.isFinite(price) && price > 0) {
  document.getElementById('price').textContent = price.toLocaleString('en', { style: 'currency', currency: 'EUR' });
}
