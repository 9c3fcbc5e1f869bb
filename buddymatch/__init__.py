"""buddymatch: pairs newcomers with local volunteer buddies."""
