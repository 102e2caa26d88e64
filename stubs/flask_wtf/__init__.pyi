# Hints for the part of Flask-WTF that service/ uses: the library ships none and no stub
# package exists. Checked against the installed release with
#   python3 -m mypy.stubtest flask_wtf --ignore-missing-stub --mypy-config-file pyproject.toml
from flask_wtf.csrf import CSRFProtect as CSRFProtect
from flask_wtf.form import FlaskForm as FlaskForm
