"""The claims write layer: every change to articles, claims, verdicts, evidence and links goes through
these keyword-only functions (views, commands, tasks and the partner API call them; nothing else
writes). One module per subject: articles (submission and progress), claims (audit, verdicts,
assignment, comments, bulk), evidence (sources linked to claims, matching, decisions), duplicates
(near-duplicate links), recheck (what a changed or vanished source does to claims). Who may act is in
claims/permissions.py; reads are in claims/selectors/.
"""
