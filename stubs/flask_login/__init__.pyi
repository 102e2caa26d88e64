# Hints for the part of Flask-Login that service/ uses: the library ships none and no stub
# package exists. Checked against the installed release with
#   python3 -m mypy.stubtest flask_login --ignore-missing-stub --mypy-config-file pyproject.toml
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask

_View = TypeVar("_View", bound=Callable[..., Any])
_Loader = TypeVar("_Loader", bound=Callable[[str], Any])

# A proxy to whatever the user loader returned, or the anonymous user.
current_user: Any

class UserMixin:
    @property
    def is_active(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_anonymous(self) -> bool: ...
    def get_id(self) -> str: ...

class LoginManager:
    login_view: str | None
    login_message: str
    session_protection: str | None
    def __init__(self, app: Flask | None = None, add_context_processor: bool = True) -> None: ...
    def init_app(self, app: Flask, add_context_processor: bool = True) -> None: ...
    def user_loader(self, callback: _Loader) -> _Loader: ...

def login_user(
    user: UserMixin,
    remember: bool = False,
    duration: timedelta | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool: ...
def logout_user() -> bool: ...
def login_required(func: _View) -> _View: ...
