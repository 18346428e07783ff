planted() {
    run -0 ip netns exec "$B" busybox ping -c1 10.0.0.1
    x=$(timeout 5 busybox nc -z 1 2)
    nsenter -t "$pid" -n busybox ip link | grep -q x
    echo 'busybox in single quotes is data'
    cat <<DATA
busybox in a here-document is data
DATA
    echo "a message about busybox"   # busybox in a comment
}
