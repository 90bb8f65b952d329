"""Indexes for HR's admin lists (see `pmladder.adminlists`): each list's order (evidence,
level history, reviews), people's names and emails by their start, and the trigrams of
the texts searched within (descriptions, rationales, summaries, job titles), with the
`pg_trgm` extension they need on PostgreSQL.

Not atomic, so that on PostgreSQL the indexes are built with CREATE INDEX CONCURRENTLY and
the tables stay writable meanwhile (an ordinary CREATE INDEX blocks every write until it
is done; a trigram index of a few hundred thousand descriptions takes tens of seconds).
Elsewhere there is no extension to create and each index is an ordinary one (see
`UpperPatternIndex` and `TrigramIndex`). If an index step fails on PostgreSQL, drop the
invalid index it leaves (`DROP INDEX CONCURRENTLY <name>`) and migrate again.

`pg_trgm` ships with PostgreSQL and is a trusted extension (13 and later): the database's
owner may create it; with an older server, a superuser creates it once
(`CREATE EXTENSION pg_trgm`) before migrating.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import pmladder.adminlists
from pmladder.migrationops import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("assessments", "0011_employee_path"),
    ]

    operations = [
        TrigramExtension(),  # PostgreSQL only: CreateExtension does nothing elsewhere
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=pmladder.adminlists.UpperPatternIndex("full_name", name="employee_name_prefix"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=pmladder.adminlists.UpperPatternIndex("email", name="employee_email_prefix"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=pmladder.adminlists.TrigramIndex("job_title", name="employee_job_title_trgm"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=pmladder.adminlists.TrigramIndex("full_name", name="employee_name_trgm"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="evidence",
            index=models.Index(fields=["-observed_on", "-id"], name="evidence_list"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="evidence",
            index=pmladder.adminlists.TrigramIndex("description", name="evidence_description_trgm"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="evidence",
            index=pmladder.adminlists.TrigramIndex(
                "expectation_text", name="evidence_expectation_trgm"
            ),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="levelassignment",
            index=models.Index(fields=["-effective_on", "-id"], name="assignment_list"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="levelassignment",
            index=pmladder.adminlists.TrigramIndex("rationale", name="assignment_rationale_trgm"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="review",
            index=models.Index(fields=["-created_at", "-id"], name="review_list"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="review",
            index=pmladder.adminlists.TrigramIndex("summary", name="review_summary_trgm"),
        ),
    ]
