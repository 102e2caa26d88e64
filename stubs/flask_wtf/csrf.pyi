from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask

_Exempt = TypeVar("_Exempt", bound=str | Blueprint | Callable[..., Any])

class CSRFProtect:
    def __init__(self, app: Flask | None = None) -> None: ...
    def init_app(self, app: Flask) -> None: ...
    def exempt(self, view: _Exempt) -> _Exempt: ...
