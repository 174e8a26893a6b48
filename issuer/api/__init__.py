"""The issuer's JSON APIs: /api/v1, the W3C VC API issuing endpoint, and their OpenAPI document."""
