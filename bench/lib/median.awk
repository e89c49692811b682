# median.awk - for the report programs of bench/lib, which load it first
# (awk -f median.awk -f PROGRAM): median_of(LIST) is the median of the
# numbers in LIST, a string of them separated by spaces.

function median_of(list,    a, c, i, j, t) {
	c = split(list, a, " ")
	for (i = 2; i <= c; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
}
