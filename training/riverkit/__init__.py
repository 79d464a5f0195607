"""riverwatch training kit: rendered river scenes, datasets, models, evaluation."""
