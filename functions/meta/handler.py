"""Lambda entry point of the meta capability."""

from sas_common.api import http_function

from meta.routes import router

app, lambda_handler = http_function(router)
