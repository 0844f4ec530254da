"""The call record on the ground floor: the small vocabularies a call is told in
(:mod:`.vocabulary`: how it came in, who spoke, how it ended), its turns
(:mod:`.turn`), the types its flow events are stored under (:mod:`.events`) and the
facts the store gives back about a stored call (:mod:`.facts`). It imports nothing
else of the package, so the store, the flow engine, the capture and the post-call
pipeline all share it."""
