"""Lambda entry point of the agenda capability."""

from sas_common.api import http_function

from agenda.routes import router

app, lambda_handler = http_function(router)
