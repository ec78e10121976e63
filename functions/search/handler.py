"""Lambda entry point of the search capability."""

from sas_common.api import http_function
from search.routes import ROUTERS

app, lambda_handler = http_function(*ROUTERS)
