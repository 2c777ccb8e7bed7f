/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a CH341A USB-SPI adapter ("ch341a") wired to a BK72xx as
 * BK7231GUIFlashTool wires it: SCK, CS0 (D0), MOSI, MISO to P20-P23 and D2
 * to CEN. It sits behind the USB runner (sim/sim_usb.h) and drives the
 * BK72xx emulator (sim/sim_bk72xx.h) through its pins, in model time:
 *
 *     usb_sim_open("ch341a,chip=bk7231n,image=old.bin,save=new.bin", ...)
 *
 * Written from ../shared/notes/beken.md §2 (cited as §2) only, never from
 * host code. "Choice" marks a decision where the notes are silent.
 *
 * ------------------------------------------------------------ the device
 * 1a86:5512 (§2), bcdDevice 0x0304 (fwupd/fwupd#4467: REV_0304), no
 * strings (none known: "CH341 in EPP/MEM/I2C mode" is usb.ids' text),
 * full speed, interface 0: bulk OUT 0x02 and bulk IN 0x82 of 32 bytes.
 * The interrupt IN 0x81 (§2) never has anything to say (an IN on it waits
 * until the host's timeout); any other endpoint stalls. Standard control
 * requests (GET_STATUS, CLEAR_FEATURE, SET_CONFIGURATION, SET_INTERFACE)
 * succeed; every other control request stalls (the CH341's vendor requests
 * are not modelled).
 *
 * ---------------------------------------------------------- the commands
 * A bulk OUT transfer is cut into 32-byte packets; each packet is one
 * command, by its first byte (§2):
 *   0xA8 SPI stream: the other n <= 31 bytes are shifted out while n come
 *        back, and one IN packet of those n bytes is queued. The wire is
 *        LSB-first: the chip sees each byte bit-reversed and the host gets
 *        the chip's bytes bit-reversed, so a host reverses both ways (as
 *        flashrom does). Mode 0 at a fixed 1.4 MHz. An A8 with no data
 *        shifts and queues nothing.
 *   0xAB UIO stream: sub-commands to the end of the packet or to 0x20 (end):
 *        0x40|m direction of D5..D0 (1 = output), 0x80|v drive D5..D0,
 *        0xC0|n wait n us, 0x00 read D7..D0 (each read adds a byte to one
 *        IN packet queued at the end of the packet). Other sub-commands are
 *        skipped (choice).
 *   0xAA I2C stream: 0x60|x sets the parameters (x bit 2: "double" SPI);
 *        0x00 ends it; other sub-commands (I2C traffic) are skipped.
 *   anything else (0xA0 status, 0xA1 parallel output, ...; §2 "not
 *        needed") and a zero-length packet: ignored, no reply (counted in
 *        ignored_packets).
 *
 * -------------------------------------------------------------- the pins
 *   D0 = CS0, low selects the chip (a new SPI frame; rising ends it and the
 *   command takes effect); D2 = CEN (low holds the chip in reset); D3 =
 *   SCK; D5 = MOSI; D7 = MISO (§2 pin map). When one sub-command moves
 *   both, CS acts first, then CEN (choice). A pin that is not an output
 *   reads and acts as high (choice: the CH341's and the module's pull-ups,
 *   so a released D2 lets CEN up and a released D0 deselects). Power-on:
 *   every pin an input (§2: flashrom's shutdown leaves them so).
 *   An A8 clocks the chip only while D3 is an output and the double mode is
 *   off; otherwise its bytes reach nothing and read 0xFF (MISO pulled up).
 *   A D5 that is not an output sends 0xFF. A UIO read gives D7 = D6 = 1
 *   (choice: MISO is not driven between bytes) and D5..D0 as they read.
 *   The chip's MISO is its own (0x00 where it drives nothing, see
 *   sim/sim_bk72xx.c); the FF filler a real CH341 reads for the JEDEC
 *   opcode byte (§1.3) is not modelled.
 *
 * -------------------------------------------------------------- the time
 * One model clock, the runner's; the model accounts the whole bus itself
 * (own_bus, sim/sim_usb.h). With pace=1 (the default):
 *   - 1 ms USB frames start at model time 0, 1 ms, 2 ms, ...
 *   - Every bulk OUT transfer starts a round trip, and starts at the next
 *     frame boundary (at once when the clock is on one); except one that
 *     comes while replies to earlier packets are still uncollected: a host
 *     that has not collected them has not waited for them, so it queued
 *     this transfer behind the last (a short packet ends a transfer, so a
 *     command whose last A8 packet is short ends one, and the next command
 *     needs another), and the host controller sends it on at once.
 *   - A packet of n bytes takes (n + 13) * 8 bits at 12 Mbit/s on the bus
 *     (13: token, sync, PID, CRC, handshake and gaps; 30 us for 32 bytes).
 *   - The adapter holds one packet while it executes another: packet i
 *     crosses the bus once packet i-1 crossed and the buffer is free, and
 *     executes when it has crossed and packet i-1 is done. The OUT
 *     transfer ends when its last packet has crossed.
 *   - Executing: an A8 of n bytes takes n * 8 clocks at 1.4 MHz (the
 *     chip's clock, §2); a UIO sub-command 750 ns (§2: flashrom's ~750 ns
 *     per UIO write), a wait n us more; anything else nothing.
 *   - A reply packet can be collected when its packet is executed and it
 *     has crossed the bus; a bulk IN returns the oldest reply then (no
 *     frame wait: the INs a host keeps queued, as flashrom's 32, would have
 *     been waiting already, and this runner is synchronous). An IN with
 *     nothing queued waits for the host's timeout.
 *   - A control transfer ends at the second frame boundary from its start.
 * So a 4 KiB read sent as one OUT (a UIO packet, then 133 A8 packets) and
 * its replies collected takes 4100 * 8 / 1.4 MHz (23.43 ms) + the wait for
 * the frame (< 1 ms) + 74 us (the UIO packet and the first A8 crossing,
 * the last reply crossing back; tests/check_sim_ch341a.c). pace=0: the bus and
 * the frames take no time; the adapter's execution times stay.
 * Replies queue up to 4096 packets (128 KiB: §2, the device took >= 128
 * KiB in one request); with the queue full the adapter NAKs OUT packets.
 * An IN smaller than the reply packet takes its first bytes; the rest
 * stays for the next IN (a real host would see an overflow).
 *
 * --------------------------------------------------------------- options
 *   chip=MODEL     the BK72xx model: bk7231t, bk7231n (default), bk7252
 *   stats=FILE     the adapter's counters at stop: packets_out, packets_in,
 *                  spi_packets, spi_bytes, uio_packets, config_packets,
 *                  ignored_packets, round_trips, cs_frames, cen_resets,
 *                  elapsed_ns, unplugs
 *   trace=FILE     one line per packet, pin change and IN reply
 *   unplug=N       the adapter leaves the bus at the Nth bulk OUT packet
 *                  (counted from 1 over the session; that packet is lost):
 *                  that transfer and every later call get USB_SIM_GONE, and
 *                  the descriptors are gone. The chip keeps its pins as they
 *                  were: an open CS frame never ends, so it never acts.
 *   chip-KEY=V     KEY=V for the chip (chip-stats=FILE: its own counters)
 *   any other key  goes to the chip as it is (image=, save=, state=,
 *                  size=, sr1=, jedec=, maxclock=, dead, ...: sim_bk72xx.c)
 * The runner keeps pace= and wire= (sim/sim_usb.h).
 */
#ifndef UNBRICK_SIM_CH341A_H
#define UNBRICK_SIM_CH341A_H

#include "sim_usb.h"

extern const struct usb_sim_model usb_sim_model_ch341a;

#endif
