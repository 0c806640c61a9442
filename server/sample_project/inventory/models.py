import os
import sys
from typing import Dict, List, Optional


class Item(object):
    def __init__(self, name: str, price: float, tags: Optional[List[str]] = None):
        self.name = name
        self.price = price
        self.tags = tags or list()

    def label(self) -> str:
        return "%s (%.2f)" % (self.name, self.price)

    def __repr__(self):
        return "Item({!r}, {!r})".format(self.name, self.price)


class Stock(Dict[str, int]):
    def __init__(self, items: List[Item]):
        super(Stock, self).__init__()
        self.items = {item.name: item for item in items}

    def add(self, item: Item, count: int = 1) -> None:
        if self.get(item.name) == None:
            self[item.name] = 0
        self[item.name] += count

    def total_value(self) -> float:
        total = sum([self.items[name].price * count for name, count in self.items()])
        return total

    def names(self) -> List[str]:
        result = []
        for name in self.keys():
            result.append(name)
        return sorted(result)
