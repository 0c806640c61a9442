"""Source shapes where telling which statement a line belongs to can go wrong: a `;`, decorators
over several lines, one-line blocks, `else:` and `finally:` bodies, `match` cases. Line numbers
matter to the tests that use it: add below the end."""

ODD = """\
import os; x = 1
@decorator
@other(
    1,
)
class A:
    def f(self):
        try:
            pass
        except E:
            import json

        else:
            return 1
        finally:
            pass

    def g(self):
        if x: return 1
        if y:
            return 2
        else:
            return 3

    match x:
        case 1:
            from a import b
        case _:
            pass
if x: import sys
"""
