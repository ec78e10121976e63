"""Lambda entry point of the eligibility capability."""

from eligibility.routes import router
from sas_common.api import http_function

app, lambda_handler = http_function(router)
