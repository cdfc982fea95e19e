"""doseguard on Apache Spark: the same check of the same rules, on a DataFrame of orders.

``check_orders`` (:mod:`doseguard.spark.frames`) is the entry point; ``doseguard check --spark`` reads
files with :mod:`doseguard.spark.inputs` and writes with :mod:`doseguard.spark.outputs`. Importing this
package needs pyspark (``pip install 'doseguard[spark]'``).
"""
