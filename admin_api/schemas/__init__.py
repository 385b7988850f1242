"""Request and response models of the API: strict on the way in (unknown fields are
refused), explicit on the way out (no ORM object is serialised as is)."""
