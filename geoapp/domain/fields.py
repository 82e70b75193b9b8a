"""Names of form fields as users read them (messages say "身份证号", not "id_number")."""

from __future__ import annotations

from geoapp.domain.i18n import N_

FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "person_name": N_("Full name"),
    "id_type": N_("Document type"),
    "id_number": N_("ID number"),
    "sex": N_("Sex"),
    "birth_date": N_("Birth date"),
    "ethnicity": N_("Ethnicity"),
    "phone": N_("Phone"),
    "hukou_address": N_("Registered household address"),
    "residence_type": N_("Residence type"),
    "separated": N_("Registered elsewhere"),
    "relation": N_("Relation to head"),
    "employer_unit_id": N_("Employer unit"),
    "uscc": N_("Unified social credit code"),
    "kind": N_("Kind"),
    "legal_rep": N_("Legal representative"),
    "staff": N_("Staff"),
    "use": N_("Use"),
    "floors": N_("Floors"),
    "structure": N_("Structure"),
    "owner_name": N_("Owner or landlord"),
    "door_no": N_("Door number"),
    "number": N_("Household number"),
    "households": N_("Households"),
    "empty": N_("Empty house"),
    "username": N_("User name"),
    "role": N_("Role"),
    "village": N_("Village"),
    "unit": N_("Unit"),
    "new_password": N_("New password"),
    "old_password": N_("Current password"),
    "reason": N_("Reason for return"),
    "action": N_("Review action"),
    "visit_checked": N_("Visit checked"),
    "version": N_("Record version"),
}
