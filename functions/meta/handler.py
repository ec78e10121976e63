"""Lambda entry point of the meta capability."""

from meta.routes import ROUTERS
from sas_common.api import http_function

app, lambda_handler = http_function(*ROUTERS)
