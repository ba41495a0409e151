"""Write (or --check) the committed room split and held-out product list in splits/.

  val-rooms.csv      rooms whose sha256(file name)[0] < 128: evaluation only, never trained on
  train-rooms.csv    the other rooms: synthetic scenes and multiple-instance training
  heldout-items.csv  products whose sha256('item:' + id)[0] < 51: never a training positive or
                     negative, so validation recall on them measures generalisation to unseen products
"""
import os
import sys

from common import SPLITS, is_heldout_item, is_validation_room, load_pairs, load_products, rooms_in_order


def compute():
    rooms = rooms_in_order()
    return {
        "val-rooms.csv": ("room", [r for r in rooms if is_validation_room(r)]),
        "train-rooms.csv": ("room", [r for r in rooms if not is_validation_room(r)]),
        "heldout-items.csv": ("item_id", [p["item_id"] for p in load_products() if is_heldout_item(p["item_id"])]),
    }


def main():
    check = "--check" in sys.argv
    os.makedirs(SPLITS, exist_ok=True)
    bad = 0
    for name, (header, lst) in compute().items():
        text = header + "\n" + "\n".join(lst) + "\n"
        path = os.path.join(SPLITS, name)
        if check:
            same = os.path.exists(path) and open(path, encoding="utf-8").read() == text
            print(f"{name}: {'matches' if same else 'DIFFERS from'} the hash rule ({len(lst)} entries)")
            bad += not same
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    pairs = load_pairs()
    val = set(compute()["val-rooms.csv"][1])
    held = set(compute()["heldout-items.csv"][1])
    vp = [(r, i) for r, i in pairs if r in val]
    train_items = {i for r, i in pairs if r not in val}
    print(f"rooms: {len(val)} validation, {len(rooms_in_order()) - len(val)} training; "
          f"pairs: {len(vp)} validation, {len(pairs) - len(vp)} training")
    print(f"validation pairs: {sum(i in held for _, i in vp)} with a held-out product, "
          f"{sum(i in train_items for _, i in vp)} whose product also appears in a training room")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
