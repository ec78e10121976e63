"""Lambda entry point of the eligibility capability."""

from eligibility.routes import ROUTERS
from sas_common.api import http_function

app, lambda_handler = http_function(*ROUTERS)
