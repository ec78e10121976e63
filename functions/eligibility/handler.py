"""Lambda entry point of the eligibility capability."""

from sas_common.api import http_function

from eligibility.routes import router

app, lambda_handler = http_function(router)
