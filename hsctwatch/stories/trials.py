"""ClinicalTrials.gov's status codes in words a reader understands."""

STATUS_WORDS = {
    "NOT_YET_RECRUITING": "not yet recruiting", "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling by invitation", "ACTIVE_NOT_RECRUITING": "active, not recruiting",
    "SUSPENDED": "suspended", "TERMINATED": "terminated", "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn", "UNKNOWN": "unknown status",
}
