from __future__ import annotations

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "kalkan.records"
    label = "records"

    def ready(self) -> None:
        from kalkan.desk.services import CASE_RECORD_HOOKS
        from kalkan.records import consent
        from kalkan.records.indexing import (
            index_acts,
            index_consent,
            index_events,
            index_persons,
        )
        from kalkan.records.models import Act, ConsentEntry, Event, Person
        from kalkan.vault.workingset import register

        # Acts are what search finds and counts; persons are found by pseudonym; events by
        # their title and story. Real names (Person.identity) are never indexed.
        register(Act, kind="act", fields=("details",), indexer=index_acts,
                 columns=("event_id", "victim_id"), reads=(Event, Person))
        register(Person, kind="person", fields=("pseudonym", "profile"), indexer=index_persons,
                 columns=("merged_into_id",))
        register(Event, kind="event", fields=("title", "description", "details"),
                 indexer=index_events, columns=("merged_into_id",))
        # Who consents to what, read once per change rather than decrypted for every count
        # (kalkan.records.consent.consenting); never searchable.
        register(ConsentEntry, kind=consent.KIND, fields=("details",), indexer=index_consent,
                 columns=("person_id",))
        # Restricting a case seals what was coded from its reports in the case's key too.
        from kalkan.records.services import records_of_reports

        if records_of_reports not in CASE_RECORD_HOOKS:
            CASE_RECORD_HOOKS.append(records_of_reports)
