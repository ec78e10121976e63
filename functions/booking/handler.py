"""Lambda entry point of the booking capability."""

from sas_common.api import http_function

from booking.routes import router

app, lambda_handler = http_function(router)
