"""What a label value means, shared by the data, the loss, the metrics and the plots."""

# Pixels labelled IGNORE_INDEX count for nothing: not in the loss, not in the metrics. VOC marks the
# uncertain border around every object this way, and padding added to a crop gets it too.
IGNORE_INDEX = 255
