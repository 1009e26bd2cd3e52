package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// LoadAvg1 is the 1-minute load average, 0 where /proc/loadavg is missing.
// Above the core count, other work shared the machine with a step.
func LoadAvg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// Machine describes the machine a run used.
type Machine struct {
	Cores    int
	MemoryMB int64 // 0 when unknown
	Kernel   string
}

// ThisMachine reads the core count, the memory and the kernel.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Kernel: runtime.GOOS}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				fields := strings.Fields(rest)
				if len(fields) > 0 {
					kb, _ := strconv.ParseInt(fields[0], 10, 64)
					m.MemoryMB = (kb + 512) / 1024
				}
				break
			}
		}
		_ = f.Close()
	}
	typ, err1 := os.ReadFile("/proc/sys/kernel/ostype")
	rel, err2 := os.ReadFile("/proc/sys/kernel/osrelease")
	if err1 == nil && err2 == nil {
		m.Kernel = string(bytes.TrimSpace(typ)) + " " + string(bytes.TrimSpace(rel))
	}
	return m
}

func (m Machine) String() string {
	mem := "? MB RAM"
	if m.MemoryMB > 0 {
		mem = fmt.Sprintf("%d MB RAM", m.MemoryMB)
	}
	return fmt.Sprintf("%d cores, %s, %s", m.Cores, mem, m.Kernel)
}
