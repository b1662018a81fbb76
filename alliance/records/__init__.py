"""Clinical records a practice can stand behind.

- Documents a client signs (informed consent, privacy notice, release of information,
  financial policy, telehealth consent): versioned, signed with intent (typed name, an
  explicit statement, consent to electronic records, as ESIGN and UETA expect), the signed
  copy a PDF stored encrypted under the client's key (documents.py, signing.py).
- Treatment plans (plans.py), the record on request (record_export.py) and retention.

Records sits above goals in the layers (it takes a plan's goals from the goals part) and
below the home pages. What a lower part must ask of it (may this client book yet?) is asked
through `alliance.core.gates`, which finds records' `gates` module.
"""
