# report.awk - turns bench/run's results into one Markdown table.
#
#   awk -F'\t' -v group=passthrough|ram -v systems="ID ID..." \
#       -v titles="TITLE|TITLE..." -f median.awk -f report.awk WORKLOADS RESULTS
#
# WORKLOADS: "id|kind|label" lines (bench/lib/workloads.sh); RESULTS:
# "rep<TAB>system<TAB>workload<TAB>value" lines. The first system is the
# reference. Each cell is the median over the repetitions and the speed
# relative to the reference: system/reference for rates, reference/system
# for times, so > 1 is always faster. The podvolfs cells carry the issues'
# targets, marked ✓ or ✗.

function num(v) {
	if (v >= 100) return sprintf("%.0f", v)
	if (v >= 10) return sprintf("%.1f", v)
	return sprintf("%.2f", v)
}

function ratio_of(wl, s, r) {
	if (!((s, wl) in med) || !((r, wl) in med) || med[s, wl] <= 0 || med[r, wl] <= 0)
		return ""
	return kind[wl] == "rate" ? med[s, wl] / med[r, wl] : med[r, wl] / med[s, wl]
}

function fmt_ratio(x) {
	return x == "" ? "-" : (x >= 10 ? sprintf("%.0fx", x) : sprintf("%.2fx", x))
}

function mark(x, target) {
	return x == "" ? " ?" : (x >= target ? " ✓" : " ✗")
}

# "VALUE (RATIOx)", with the target's mark for a podvolfs cell.
function cell(wl, s,    v, x, c) {
	if ((s, wl) in failed)
		return "failed"
	if (!((s, wl) in med))
		return "-"
	v = med[s, wl]
	c = num(kind[wl] == "time" ? v * 1000 : v)
	if (s == ref)
		return c
	x = ratio_of(wl, s, ref)
	c = c " (" fmt_ratio(x)
	if (group == "passthrough" && s ~ /^pvf-/ && wl in pt_target)
		c = c mark(x, pt_target[wl])
	if (group == "ram" && s == "pvf-mem" && wl in ram_io)
		c = c mark(x, 0.5)
	return c ")"
}

BEGIN {
	# issue 14: the data path and the databases on it
	pt_target["read_warm"] = 0.9; pt_target["rand_warm"] = 0.9
	pt_target["read_cold"] = 0.9; pt_target["write"] = 0.8
	pt_target["sqlite"] = 0.6; pt_target["pgbench"] = 0.9
	# issue 5: metadata
	pt_target["ls_cold"] = 0.45; pt_target["create"] = 0.3
	pt_target["unlink"] = 0.5; pt_target["tar_x"] = 0.3
	pt_target["find_cold"] = 0.5
	ram_io["write"] = 1; ram_io["read_cold"] = 1; ram_io["read_warm"] = 1
	ram_meta["create"] = 1; ram_meta["stat"] = 1; ram_meta["unlink"] = 1
	ns = split(systems, sys, " ")
	split(titles, title, "|")
	ref = sys[1]
}

FNR == NR {
	split($0, f, "|")
	nw++; order[nw] = f[1]; kind[f[1]] = f[2]; label[f[1]] = f[3]
	next
}

{
	if ($4 == "fail")
		failed[$2, $3] = 1
	else
		vals[$2, $3] = vals[$2, $3] " " $4
}

END {
	for (k in vals)
		med[k] = median_of(vals[k])
	hdr = "| workload | "
	sep = "|---|"
	for (i = 1; i <= ns; i++) {
		hdr = hdr title[i] " | "
		sep = sep "---|"
	}
	if (group == "passthrough") {
		hdr = hdr "podvolfs target |"
		sep = sep "---|"
	} else {
		hdr = hdr "Memory vs rclone | Memory vs podvolfs disk | targets |"
		sep = sep "---|---|---|"
	}
	print hdr
	print sep
	for (w = 1; w <= nw; w++) {
		wl = order[w]
		seen = 0
		for (i = 1; i <= ns; i++)
			if ((sys[i], wl) in med || (sys[i], wl) in failed)
				seen = 1
		if (!seen)
			continue
		line = "| " label[wl] " | "
		for (i = 1; i <= ns; i++)
			line = line cell(wl, sys[i]) " | "
		if (group == "passthrough") {
			line = line (wl in pt_target ? sprintf("≥ %.2fx", pt_target[wl]) : "") " |"
		} else {
			x = ratio_of(wl, "pvf-mem", "rclone")
			y = ratio_of(wl, "pvf-mem", "pvf-disk")
			t = ""
			c1 = fmt_ratio(x)
			c2 = fmt_ratio(y)
			if (wl in ram_io) {
				c1 = c1 mark(x, 5)
				t = "≥ 0.5x tmpfs, ≥ 5x rclone"
			}
			if (wl in ram_meta) {
				c1 = c1 mark(x, 2)
				c2 = c2 mark(y, 1)
				t = "≥ 2x rclone, ≥ 1x disk"
			}
			line = line c1 " | " c2 " | " t " |"
		}
		print line
	}
}
