"""Beijing 三全育人 indicator set, from the twenty tasks of 京教组发[2019]3号."""
