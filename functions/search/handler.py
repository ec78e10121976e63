"""Lambda entry point of the search capability."""

from sas_common.api import http_function
from search.routes import router

app, lambda_handler = http_function(router)
