"""Speech and language providers: the offline ones and a registry of all of them."""
