import unittest

from inventory.models import Item, Stock


class StockTest(unittest.TestCase):
    def test_add(self):
        stock = Stock([Item("apple", 0.5)])
        stock.add(Item("apple", 0.5), 3)
        self.assertEqual(stock["apple"], 3)

    def test_label(self):
        self.assertTrue(Item("pear", 1.0).label().startswith("pear"))
