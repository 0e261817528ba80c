"""The 双带头人 强国行 indicator set, from the four main tasks of the Ministry of Education's
notice 教思政厅函〔2024〕11号."""
