"""Share links: the public credential page, QR codes and the learner's management page and API."""
