"""The benchmark of ``make bench``: synthetic municipalities at three sizes
(``seed``), the measures taken on them (``measure``) and the load run
(``locustfile``), driven by ``manage.py bench``."""
