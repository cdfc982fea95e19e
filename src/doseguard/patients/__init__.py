"""The patient behind an order: facts about the patient, what was given, what the labs said."""
