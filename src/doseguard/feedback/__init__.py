"""What clinicians did with the service's cards (accepted, overridden and why), stored durably, and the
override rates per rule and per reason read back from it: the alert-fatigue measure."""
