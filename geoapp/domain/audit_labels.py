"""What the audit log's codes mean, in words (translated on the page: ``house.return`` → 退回修改).

The stored events keep their codes; the page shows these labels with the code beside them."""

from __future__ import annotations

from geoapp.domain.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "address.number": N_("Numbered a house"),
    "building.create": N_("Added a house"),
    "building.update": N_("Edited a house"),
    "campaign.set": N_("Changed a campaign setting"),
    "demo.build": N_("Built the demo town"),
    "export": N_("Exported a layer"),
    "import": N_("Imported a layer"),
    "logout": N_("Logged out"),
    "house.return": N_("Returned a house for correction"),
    "house.submit": N_("Submitted a house"),
    "house.verify": N_("Verified a house"),
    "login.failure": N_("Failed log-in"),
    "login.locked": N_("Log-in locked"),
    "login.success": N_("Logged in"),
    "permission.refused": N_("Permission refused"),
    "person.move": N_("Moved a person"),
    "person.move_cancel": N_("Cancelled a move"),
    "person.move_confirm": N_("Confirmed a move"),
    "person.move_reject": N_("Refused a move"),
    "person.move_request": N_("Asked for a move"),
    "person.registered_elsewhere": N_("Found registered elsewhere"),
    "reveal": N_("Showed a full number"),
    "revisit.result": N_("Recorded a re-visit"),
    "revisit.sample": N_("Drew re-visit samples"),
    "street.number": N_("Numbered a street"),
    "token.create": N_("Created an API token"),
    "token.revoke": N_("Revoked an API token"),
    "unit.create": N_("Added a unit"),
    "unit.place": N_("Placed a unit on the map"),
    "unit.update": N_("Edited a unit"),
    "user.create": N_("Created an account"),
    "user.disable": N_("Disabled an account"),
    "user.enable": N_("Enabled an account"),
    "user.import": N_("Imported accounts"),
    "user.password": N_("Changed own password"),
    "user.reset_password": N_("Reset a password"),
    "user.set_role": N_("Changed a role"),
}

OBJECT_LABELS: dict[str, str] = {
    "api_token": N_("API token"),
    "building": N_("House"),
    "campaign": N_("Campaign"),
    "endpoint": N_("Page"),
    "layer": N_("Layer"),
    "person": N_("Person"),
    "revisit": N_("Re-visit"),
    "revisit_sample": N_("Re-visit sample"),
    "street": N_("Street"),
    "town": N_("Town"),
    "unit": N_("Unit"),
    "user": N_("Account"),
}

# Fields an event's changes name that are not form fields (those are in ``fields.FIELD_LABELS``).
CHANGE_FIELD_LABELS: dict[str, str] = {
    "status": N_("Status"),
    "visit_flag": N_("Visit flag"),
    "distance_m": N_("Distance from the house (m)"),
    "people": N_("People"),
    "value": N_("Value"),
    "field": N_("Field"),
    "layer": N_("Layer"),
    "format": N_("Format"),
    "rows": N_("Rows"),
    "export": N_("Export"),
    "units": N_("Units"),
    "building": N_("House"),
    "return_reason": N_("Reason"),
    "state": N_("Stage"),
    "villages": N_("Villages"),
    "streets": N_("Streets"),
    "houses": N_("Houses"),
    "footprints": N_("Footprints"),
    "households": N_("Households"),
    "seconds": N_("Seconds"),
}
