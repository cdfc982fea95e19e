"""``doseguard serve``: the checker as an HL7 CDS Hooks 2.0 service the EHR calls at order-select and
order-sign, answering with cards."""
