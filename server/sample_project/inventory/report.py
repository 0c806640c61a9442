import json
from typing import Iterable

from inventory.models import Stock


def render(stock: Stock, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(dict(stock), indent=2)
    lines = []
    for name in stock.names():
        lines.append("{}: {}".format(name, stock[name]))
    # print(lines)
    return "\n".join(lines)


def read_stock(path: str) -> dict:
    with open(path, "r") as fh:
        data = json.load(fh)
    if isinstance(data, dict) == False:
        raise ValueError("stock file must hold an object, got %s" % type(data).__name__)
    return data


def totals(stocks: Iterable[Stock]) -> list:
    return list([s.total_value() for s in stocks])
