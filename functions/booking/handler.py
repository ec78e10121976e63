"""Lambda entry point of the booking capability."""

from booking.routes import ROUTERS
from sas_common.api import http_function

app, lambda_handler = http_function(*ROUTERS)
