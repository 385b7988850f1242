"""The API's routers. Each carries its full path (no prefix added at inclusion), so the
route a request matched names its whole template, as metrics record it."""

API_PREFIX = "/api/v1"
