"""The SOQL subset the simulator understands: parse (parser.py) then run (executor.py)."""
from .executor import soql_execute  # noqa: F401
from .lexer import SoqlError  # noqa: F401
