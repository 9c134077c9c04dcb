"""Stories: the store's models, finding a story's copies, near-duplicates, the editor's review,
reprocessing and publishing."""
