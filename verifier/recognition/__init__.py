"""Recognition rules: what a recognising institution accepts, evaluated on verified credentials
(``rules`` the rule and its schema, ``facts`` what a credential says, ``evaluate`` the decision,
``wording`` its words, ``cli`` ``microcred recognise``, ``views``/``api``/``pdf`` the verifier's
page, JSON route and PDF, ``award`` the decision as a credential the institution signs).
See docs/recognition.md."""
