"""The HTTP layer: the JSON API, the web pages, errors, the OpenAPI document."""
