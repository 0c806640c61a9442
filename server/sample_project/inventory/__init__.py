from inventory.models import Item, Stock
from inventory.report import render
