"""Lambda entry point of the agenda capability."""

from agenda.routes import ROUTERS
from sas_common.api import http_function

app, lambda_handler = http_function(*ROUTERS)
