"""Forms (FORM-*): the JSON schema and its validator, answers and scoring, the shipped
definitions (models/data/forms) and the practice library's versions of them."""
